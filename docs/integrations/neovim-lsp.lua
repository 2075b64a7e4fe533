-- init.lua (Neovim 0.11+)
vim.lsp.config("driftlint", {
  cmd = { "driftlint", "server" },
  -- toml and dosini too: Neovim watches no files on Linux, so the server hears of a changed
  -- pyproject.toml, driftlint.toml or alembic.ini when you save it here.
  filetypes = { "python", "toml", "dosini" },
  root_markers = { "alembic.ini", "driftlint.toml", "pyproject.toml", ".git" },
  init_options = { debounce = 100 },
})
vim.lsp.enable("driftlint")
