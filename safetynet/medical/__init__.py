"""Medical assistance (issue 20; POLICY.md §4): the categories a county keeps and their terms, who
qualifies, the designated institutions and their keys, one-stop settlement at the cashier, manual
reimbursement through the cases, statements paid through the payroll machinery, and the feed of
large self-paid amounts to discovery's warnings."""
