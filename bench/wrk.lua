-- wrk script for bench/run.py. Configured by environment variables:
--   BENCH_TOKEN        send "Authorization: Bearer <token>"
--   BENCH_METHOD       HTTP method (default GET)
--   BENCH_BODY         a fixed JSON body
--   BENCH_LOGIN_USERS  N: POST a login for a random user1..userN per request
--   BENCH_PASSWORD     the seeded users' password (with BENCH_LOGIN_USERS)
-- Prints one JSON line: requests, duration, errors, latency percentiles (µs).

local token = os.getenv("BENCH_TOKEN")
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local login_users = tonumber(os.getenv("BENCH_LOGIN_USERS") or "")
local password = os.getenv("BENCH_PASSWORD") or ""

wrk.method = method
wrk.headers["Accept"] = "application/json"
if token then
  wrk.headers["Authorization"] = "Bearer " .. token
end
if body then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

function setup(thread)
  thread:set("id", math.random(1, 1000000))
end

function init(args)
  math.randomseed(os.time() + (id or 0))
end

request = function()
  if login_users then
    local n = math.random(1, login_users)
    if n % 50 == 0 then n = n - 1 end  -- the seed makes every 50th user inactive
    local user = "user" .. n
    local payload = '{"username":"' .. user .. '","password":"' .. password .. '"}'
    return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, payload)
  end
  return wrk.format()
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"non_2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
