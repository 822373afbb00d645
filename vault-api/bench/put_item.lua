-- Unconditional PUT (create or replace) of a document of about DOC_BYTES
-- bytes (default 200) to one of IDS ids (default 1000), so the run mixes
-- creates and replaces.
math.randomseed(os.time())
local ids = tonumber(os.getenv("IDS") or "1000")
local size = tonumber(os.getenv("DOC_BYTES") or "200")
local body = '{"name":"benchmark","tags":["a","b","c"],"count":42,"nested":{"ok":true,"text":"'
  .. string.rep("x", math.max(0, size - 100)) .. '"}}'
request = function()
  return wrk.format("PUT", "/vault/items/bench-" .. math.random(0, ids - 1),
    { ["Content-Type"] = "application/json" }, body)
end
