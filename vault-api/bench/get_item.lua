-- GET a random one of the items seeded by run.sh (item-0 .. item-(SEEDED-1)).
local seeded = tonumber(os.getenv("SEEDED") or "100")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/vault/items/item-" .. math.random(0, seeded - 1))
end
