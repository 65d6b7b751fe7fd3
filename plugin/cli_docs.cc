#include "plugin/cli_docs.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string_view>

#include "absl/strings/str_replace.h"
#include "sdk/core/text.h"

namespace kmsguard::plugin {
namespace {

using core::ShellQuote;  // words for the completion scripts

// The texts of an option's help line come from CLI11's own formatter, so the man page says
// exactly what --help says (type, choices, default, REQUIRED).
const CLI::Formatter& HelpFormatter() {
  static const CLI::Formatter formatter;
  return formatter;
}

std::vector<const CLI::App*> Commands(const CLI::App& app) {
  // An empty group hides a subcommand from --help; it stays out of the pages too.
  return app.get_subcommands(
      [](const CLI::App* sub) { return !sub->get_name().empty() && !sub->get_group().empty(); });
}

std::vector<const CLI::Option*> NamedOptions(const CLI::App& app) {
  return app.get_options([](const CLI::Option* option) {
    return option->nonpositional() && !option->get_group().empty();
  });
}

std::vector<const CLI::Option*> Positionals(const CLI::App& app) {
  return app.get_options([](const CLI::Option* option) {
    return option->get_positional() && !option->get_group().empty();
  });
}

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string Trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\n");
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(" \t\n") - first + 1));
}

// "-v", "--verbose" for "-v,--verbose".
std::vector<std::string> OptionNames(const CLI::Option& option) {
  return Split(HelpFormatter().make_option_name(&option, false), ',');
}

// What a completion offers for an option's value or an argument.
enum class ValueKind { kNone, kChoice, kFile, kDirectory, kText };
struct ValueSpec {
  ValueKind kind = ValueKind::kNone;
  std::vector<std::string> choices;
  std::string label;  // the type name, e.g. "FILE", for zsh's message
};

ValueSpec ValueOf(const CLI::Option& option) {
  ValueSpec spec;
  if (option.get_expected_max() == 0) return spec;  // a flag: add_flag expects no value
  const std::string type = option.get_type_name();
  // CLI::IsMember describes itself as {a,b,c}, appended to the type name: "TEXT:{a,b,c}".
  const std::size_t open = type.find('{');
  const std::size_t close = type.find('}', open);
  // A positional's name says what it is (FILE, DIR); its type name is only TEXT.
  const std::string what = (option.get_positional() ? option.get_name(true, false) + " " : "") +
                           type.substr(0, open);
  // "FLOAT" of "FLOAT:FLOAT in [0 - 3600]": the validators' descriptions follow the first ':'.
  spec.label = option.get_positional() ? option.get_name(true, false) : type.substr(0, type.find(':'));
  if (open != std::string::npos && close != std::string::npos) {
    spec.kind = ValueKind::kChoice;
    spec.choices = Split(std::string_view(type).substr(open + 1, close - open - 1), ',');
  } else if (what.find("FILE") != std::string::npos || what.find("PATH") != std::string::npos) {
    spec.kind = ValueKind::kFile;
  } else if (what.find("DIR") != std::string::npos) {
    spec.kind = ValueKind::kDirectory;
  } else {
    spec.kind = ValueKind::kText;
  }
  return spec;
}

bool Repeatable(const CLI::Option& option) { return option.get_expected_max() > 1; }

// ---- man(7) ----

// Text for a roff line: backslashes and hyphens escaped (so options copy as typed), and a line
// that would start with a control character ('.' or ') made plain.
std::string Roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

// The --help footer: its paragraphs (blank-line separated) filled, except those with indented
// lines (lists, aligned columns), which keep their layout.
std::string RoffParagraphs(std::string_view text) {
  std::string out;
  std::vector<std::string> paragraph;
  auto flush = [&] {
    if (paragraph.empty()) return;
    const bool laid_out = std::any_of(paragraph.begin() + 1, paragraph.end(), [](const auto& line) {
      return !line.empty() && line.front() == ' ';
    });
    out += ".PP\n";
    if (laid_out) out += ".nf\n";
    for (const std::string& line : paragraph) {
      out += Roff(laid_out ? line : Trim(line)) + "\n";
    }
    if (laid_out) out += ".fi\n";
    paragraph.clear();
  };
  for (const std::string& line : Split(text, '\n')) {
    if (Trim(line).empty()) {
      flush();
    } else {
      paragraph.push_back(line);
    }
  }
  flush();
  return out;
}

std::string RoffOptions(const std::vector<const CLI::Option*>& options, bool positional) {
  std::string out;
  for (const CLI::Option* option : options) {
    out += ".TP\n";
    if (positional) {
      out += "\\fI" + Roff(option->get_name(true, false)) + "\\fR";
    } else {
      std::vector<std::string> names = OptionNames(*option);
      for (std::size_t i = 0; i < names.size(); ++i) {
        out += (i > 0 ? ", " : "") + ("\\fB" + Roff(names[i]) + "\\fR");
      }
    }
    const std::string opts = HelpFormatter().make_option_opts(option);
    if (!opts.empty()) {
      // A list of choices ({a,b,c}) is one word to troff: \: lets it break after each comma.
      out += " \\fI" + absl::StrReplaceAll(Roff(Trim(opts)), {{",", ",\\:"}}) + "\\fR";
    }
    out += "\n" + Roff(Trim(HelpFormatter().make_option_desc(option))) + "\n";
  }
  return out;
}

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::string PageHeader(const std::string& page, const std::string& version) {
  // No date: the page is the same for the same sources (reproducible packages).
  return ".\\\" Generated from kmsguard's command line by kmsguard_cli_docs (plugin/cli_docs.cc).\n"
         ".\\\" Do not edit: change the option's description in the source instead.\n"
         ".TH \"" + Upper(page) + "\" 1 \"\" \"" + Roff(version) + "\" \"kmsguard manual\"\n"
         // No hyphenation: an option name is never split across lines.
         ".nh\n";
}

std::string SeeAlso(const CLI::App& app, const std::string& self) {
  std::vector<std::string> refs;
  if (self != app.get_name()) refs.push_back("\\fB" + Roff(app.get_name()) + "\\fR(1)");
  for (const CLI::App* command : Commands(app)) {
    const std::string page = app.get_name() + "-" + command->get_name();
    if (page != self) refs.push_back("\\fB" + Roff(page) + "\\fR(1)");
  }
  std::string out = ".SH SEE ALSO\n";
  for (std::size_t i = 0; i < refs.size(); ++i) out += refs[i] + (i + 1 < refs.size() ? ",\n" : "\n");
  // The prefix is chosen at install time, after the pages are made: say where under it.
  out += ".PP\nThe documents named docs/NAME.md are installed in \\fIshare/doc/kmsguard\\fR under "
         "the installation prefix (\\fI/usr/share/doc/kmsguard\\fR from the Debian package).\n";
  return out;
}

std::string CommandPage(const CLI::App& app, const CLI::App& command, const std::string& version) {
  const std::string page = app.get_name() + "-" + command.get_name();
  const std::string invocation = app.get_name() + " " + command.get_name();
  std::string out = PageHeader(page, version);
  out += ".SH NAME\n" + Roff(page) + " \\- " + Roff(command.get_description()) + "\n";
  // CLI11's usage line, "Usage: kmsguard scan [OPTIONS] FILE...", less its label.
  std::string usage = Trim(HelpFormatter().make_usage(&command, invocation));
  usage = Trim(usage.substr(usage.find(invocation) + invocation.size()));
  out += ".SH SYNOPSIS\n.B " + Roff(invocation) + "\n" + Roff(usage) + "\n";
  out += ".SH DESCRIPTION\n" + Roff(command.get_description()) + ".\n";
  out += RoffParagraphs(command.get_footer());
  if (const auto positionals = Positionals(command); !positionals.empty()) {
    out += ".SH ARGUMENTS\n" + RoffOptions(positionals, true);
  }
  out += ".SH OPTIONS\n" + RoffOptions(NamedOptions(command), false);
  out += SeeAlso(app, page);
  return out;
}

std::string MainPage(const CLI::App& app, const std::string& version) {
  const std::string name = app.get_name();
  std::string summary = app.get_description();
  if (summary.rfind(name + ": ", 0) == 0) summary.erase(0, name.size() + 2);
  std::string out = PageHeader(name, version);
  out += ".SH NAME\n" + Roff(name) + " \\- " + Roff(summary) + "\n";
  out += ".SH SYNOPSIS\n.B " + Roff(name) + "\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR] "
         "[\\fIARGUMENTS\\fR]\n.br\n.B " + Roff(name) + "\n\\-\\-help | \\-\\-version\n";
  out += ".SH DESCRIPTION\n\\fB" + Roff(name) + "\\fR " + Roff(summary) + ".\n";
  out += RoffParagraphs(app.get_footer());
  out += ".PP\nEach command has its own page, \\fB" + Roff(name) + "\\-\\fR\\fICOMMAND\\fR(1), and "
         "its own \\fB\\-\\-help\\fR.\n";
  out += ".SH COMMANDS\n";
  for (const CLI::App* command : Commands(app)) {
    out += ".TP\n\\fB" + Roff(command->get_name()) + "\\fR\n" + Roff(command->get_description()) +
           " (\\fB" + Roff(name + "-" + command->get_name()) + "\\fR(1))\n";
  }
  out += ".SH OPTIONS\n" + RoffOptions(NamedOptions(app), false);
  out += SeeAlso(app, name);
  return out;
}

// ---- completion ----


std::string Join(const std::vector<std::string>& words, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += separator;
    out += words[i];
  }
  return out;
}

std::vector<std::string> AllOptionNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : NamedOptions(app)) {
    for (std::string& name : OptionNames(*option)) names.push_back(std::move(name));
  }
  return names;
}

// The `case $prev in ... esac` arms of one command: what follows an option that takes a value.
std::string BashValueArms(const CLI::App& app, const std::string& indent) {
  std::string out;
  for (const CLI::Option* option : NamedOptions(app)) {
    const ValueSpec value = ValueOf(*option);
    if (value.kind == ValueKind::kNone) continue;
    out += indent + Join(OptionNames(*option), "|") + ")\n";
    switch (value.kind) {
      case ValueKind::kChoice:
        out += indent + "  COMPREPLY=($(compgen -W " + ShellQuote(Join(value.choices, " ")) +
               " -- \"$cur\"))\n";
        break;
      case ValueKind::kFile:
        out += indent + "  compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))\n";
        break;
      case ValueKind::kDirectory:
        out += indent + "  compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\"))\n";
        break;
      default:
        break;  // a free value (a number, an address): nothing to offer
    }
    out += indent + "  return ;;\n";
  }
  return out;
}

// zsh's _arguments wants ']' and ':' in a description escaped, and the spec is single-quoted.
std::string ZshDescription(std::string_view text) {
  // The first clause is enough beside a candidate.
  std::size_t end = text.size();
  for (const std::string_view stop : {". ", "; ", " ("}) {
    end = std::min(end, text.find(stop));
  }
  std::string out;
  for (const char c : Trim(text.substr(0, end))) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string ZshAction(const ValueSpec& value) {
  switch (value.kind) {
    case ValueKind::kChoice:
      return "(" + Join(value.choices, " ") + ")";
    case ValueKind::kFile:
      return "_files";
    case ValueKind::kDirectory:
      return "_files -/";
    default:
      return " ";  // a value with nothing to offer
  }
}

std::string ZshOptionSpecs(const CLI::App& app, const std::string& indent) {
  std::string out;
  for (const CLI::Option* option : NamedOptions(app)) {
    const std::vector<std::string> names = OptionNames(*option);
    const ValueSpec value = ValueOf(*option);
    // --help and --version end the command line; other options exclude their own aliases.
    const bool terminal = option == app.get_help_ptr() || option == app.get_version_ptr();
    const std::string exclusions =
        terminal ? "(- *)" : (Repeatable(*option) ? "*" : "(" + Join(names, " ") + ")");
    for (const std::string& name : names) {
      std::string spec = exclusions + name + "[" + ZshDescription(option->get_description()) + "]";
      if (value.kind != ValueKind::kNone) {
        std::string label;
        for (const char c : value.label.empty() ? std::string("VALUE") : value.label) {
          if (c == ':') label += '\\';
          label += c;
        }
        spec += ":" + label + ":" + ZshAction(value);
      }
      out += indent + ShellQuote(spec) + " \\\n";
    }
  }
  for (const CLI::Option* option : Positionals(app)) {
    const ValueSpec value = ValueOf(*option);
    const std::string spec = std::string(Repeatable(*option) ? "*" : "1") + ":" + value.label +
                             ":" + ZshAction(value);
    out += indent + ShellQuote(spec) + " \\\n";
  }
  return out;
}

}  // namespace

std::vector<GeneratedFile> ManPages(const CLI::App& app, const std::string& version) {
  std::vector<GeneratedFile> pages;
  pages.push_back({"man1/" + app.get_name() + ".1", MainPage(app, version)});
  for (const CLI::App* command : Commands(app)) {
    pages.push_back({"man1/" + app.get_name() + "-" + command->get_name() + ".1",
                     CommandPage(app, *command, version)});
  }
  return pages;
}

std::string BashCompletion(const CLI::App& app) {
  const std::string name = app.get_name();
  std::vector<std::string> command_names;
  for (const CLI::App* command : Commands(app)) command_names.push_back(command->get_name());
  std::vector<std::string> top = command_names;
  for (std::string& option : AllOptionNames(app)) top.push_back(std::move(option));

  std::string out =
      "# bash completion for " + name + ". Generated from its command line by kmsguard_cli_docs\n"
      "# (plugin/cli_docs.cc); do not edit. Needs no bash-completion package.\n"
      "_" + name + "() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
      "  local command='' i\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    case ${COMP_WORDS[i]} in\n"
      "      " + Join(command_names, "|") + ") command=${COMP_WORDS[i]}; break ;;\n"
      "    esac\n"
      "  done\n"
      "  COMPREPLY=()\n"
      "  case $command in\n"
      "    '')\n"
      "      COMPREPLY=($(compgen -W " + ShellQuote(Join(top, " ")) + " -- \"$cur\"))\n"
      "      return ;;\n";
  for (const CLI::App* command : Commands(app)) {
    out += "    " + command->get_name() + ")\n      case $prev in\n";
    out += BashValueArms(*command, "        ");
    out += "      esac\n";
    out += "      if [[ $cur == -* ]]; then\n";
    out += "        COMPREPLY=($(compgen -W " + ShellQuote(Join(AllOptionNames(*command), " ")) +
           " -- \"$cur\"))\n";
    // Arguments: file or directory names when the command takes them.
    std::string arguments;
    for (const CLI::Option* option : Positionals(*command)) {
      const ValueSpec value = ValueOf(*option);
      if (value.kind == ValueKind::kFile) arguments = "-f";
      if (value.kind == ValueKind::kDirectory && arguments.empty()) arguments = "-d";
    }
    if (!arguments.empty()) {
      out += "      else\n        compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen " +
             arguments + " -- \"$cur\"))\n";
    }
    out += "      fi ;;\n";
  }
  out += "  esac\n}\ncomplete -F _" + name + " " + name + "\n";
  return out;
}

std::string ZshCompletion(const CLI::App& app) {
  const std::string name = app.get_name();
  std::string out = "#compdef " + name + "\n"
                    "# zsh completion for " + name + ". Generated from its command line by "
                    "kmsguard_cli_docs\n# (plugin/cli_docs.cc); do not edit.\n\n"
                    "_" + name + "() {\n"
                    "  local curcontext=$curcontext state line ret=1\n"
                    "  _arguments -C \\\n" +
                    ZshOptionSpecs(app, "    ") +
                    "    '1:command:->command' \\\n"
                    "    '*::argument:->argument' && ret=0\n"
                    "  case $state in\n"
                    "    command)\n"
                    "      local -a commands=(\n";
  for (const CLI::App* command : Commands(app)) {
    out += "        " + ShellQuote(command->get_name() + ":" + command->get_description()) + "\n";
  }
  out += "      )\n"
         "      _describe -t commands '" + name + " command' commands && ret=0 ;;\n"
         "    argument)\n"
         "      curcontext=${curcontext%:*:*}:" + name + "-$words[1]:\n"
         "      case $words[1] in\n";
  for (const CLI::App* command : Commands(app)) {
    out += "        " + command->get_name() + ")\n          _arguments \\\n";
    out += ZshOptionSpecs(*command, "            ");
    out += "            && ret=0 ;;\n";
  }
  out += "      esac ;;\n"
         "  esac\n"
         "  return ret\n"
         "}\n\n"
         "_" + name + " \"$@\"\n";
  return out;
}

}  // namespace kmsguard::plugin
