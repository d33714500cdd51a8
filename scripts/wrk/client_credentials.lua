-- wrk script: the client_credentials grant, HTTP Basic client
-- authentication, one constant request (wrk builds it once).
--
--   wrk -t1 -c64 -d10s -s scripts/wrk/client_credentials.lua http://127.0.0.1:8080 -- FIXTURES
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local fixtures = dofile(here .. "fixtures.lua")

function init(args)
   local fx = fixtures.read(args[1])
   wrk.method = "POST"
   wrk.path = "/oauth/token"
   wrk.body = "grant_type=client_credentials"
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.headers["Authorization"] = "Basic " .. fx.machine_basic
end

function done(summary, latency, requests)
   fixtures.done(summary, latency)
end
