"""One module per rule; `driftlint.rule.all_rules()` discovers them, no list to edit."""
