"""The schema-object history: what each revision creates, drops, renames, alters and references."""
