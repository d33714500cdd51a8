-- Shared by the wrk scripts of this directory: reads the fixtures file
-- that `gatehouse-load wrk` writes (or `gatehouse-load wrk -fixtures-only`
-- for running wrk by hand), one "key value" pair per line:
--
--   machine_basic  <base64 of client_id:secret of a client_credentials client>
--   resource_basic <the same for a client allowed to introspect>
--   web_basic      <the same for the web application the users signed in to>
--   token          <an access token of a signed-in user>   (one line each)
--   refresh        <a refresh token of one grant>           (one line each)
--
-- and prints the run's figures as one JSON line when wrk is done, for the
-- load tool to read.

local M = {}

function M.read(path)
   local f = assert(io.open(path, "r"), "cannot open the fixtures file " .. tostring(path))
   local fx = { tokens = {}, refresh = {} }
   for line in f:lines() do
      local key, value = line:match("^(%S+)%s+(%S+)$")
      if key == "token" then
         fx.tokens[#fx.tokens + 1] = value
      elseif key == "refresh" then
         fx.refresh[#fx.refresh + 1] = value
      elseif key then
         fx[key] = value
      end
   end
   f:close()
   return fx
end

-- host is the Host header wrk sends, with the port.
function M.host()
   return wrk.headers["Host"]
end

-- done prints the figures; extra, when given, maps more names to numbers.
function M.done(summary, latency, extra)
   local e = summary.errors
   local more = ""
   for k, v in pairs(extra or {}) do
      more = more .. string.format(',"%s":%d', k, v)
   end
   io.write(string.format(
      '{"wrk":1,"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}%s}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(95),
      latency:percentile(99), latency.max, latency.mean, more))
end

return M
