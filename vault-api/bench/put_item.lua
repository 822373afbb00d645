-- Unconditional PUT (create or replace) of a ~200-byte document to one of
-- 1000 ids, so the run mixes creates and replaces.
math.randomseed(os.time())
local body = '{"name":"benchmark","tags":["a","b","c"],"count":42,"nested":{"ok":true,"text":"' .. string.rep("x", 100) .. '"}}'
request = function()
  return wrk.format("PUT", "/vault/items/bench-" .. math.random(0, 999),
    { ["Content-Type"] = "application/json" }, body)
end
