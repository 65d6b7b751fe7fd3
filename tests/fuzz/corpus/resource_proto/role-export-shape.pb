
 arn:aws:iam::111122223333:role/rAWS::IAM::Role"aws*111122223333:rB¿{"RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r", "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}}}]}J
s.json"/RoleDetailList/0