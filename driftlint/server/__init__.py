"""`driftlint server`: the language server (findings as you type, fixes as code actions, rule docs on hover)."""
