"""The Hull simulator: an organization with users, accounts, segments, a firehose and a notifier."""
