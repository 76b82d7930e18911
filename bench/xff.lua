-- wrk script for the public share link /r/{token}: the application limits each client
-- address to 60 requests a minute (PUBLIC_RATE_LIMIT), so a benchmark from one address would
-- measure the 429 page. run.sh starts the server with BOUSSOLE_TRUST_PROXY=true and this
-- script gives every request its own X-Forwarded-For address (16 million before one repeats).
local counter = 0

request = function()
  counter = counter + 1
  local n = counter % 16777216
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
    math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  return wrk.format(nil)
end
