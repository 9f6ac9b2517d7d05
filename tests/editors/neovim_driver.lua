-- Drives the opened buffer: waits for diagnostics, applies a quick fix, then checks fix-on-save; writes what it saw.
local out = {}
local function finish(status)
  out.status = status
  local file = io.open(vim.env.TSL_RESULT, "w")
  file:write(vim.json.encode(out))
  file:close()
  vim.cmd("qall!")
end
local ok = vim.wait(15000, function() return #vim.diagnostic.get(0) >= 1 end, 20)
if not ok then return finish("no diagnostics") end
out.codes = {}
for _, d in ipairs(vim.diagnostic.get(0)) do table.insert(out.codes, d.code) end
table.sort(out.codes)
local client = vim.lsp.get_clients({ bufnr = 0, name = "tf_step_lint" })[1]
local step
for _, d in ipairs(vim.diagnostic.get(0)) do if d.code == "TSL101" then step = d end end
local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
params.range = { start = { line = step.lnum, character = step.col }, ["end"] = { line = step.lnum, character = step.col } }
params.context = { only = { "quickfix" }, diagnostics = {} }
local response = client:request_sync("textDocument/codeAction", params, 5000, 0)
out.titles = {}
for _, action in ipairs(response and response.result or {}) do
  table.insert(out.titles, action.title)
  if action.title:match("^Fix TSL101") then vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding) end
end
out.after_quick_fix = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
vim.cmd("edit! " .. vim.env.TSL_SECOND)  -- another buggy file: fix-on-save must write it fixed
ok = vim.wait(15000, function() return #vim.diagnostic.get(0) >= 1 end, 20)
if not ok then return finish("no diagnostics in the second file") end
vim.cmd("write")
finish("done")
