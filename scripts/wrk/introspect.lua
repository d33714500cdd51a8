-- wrk script: POST /oauth/introspect by a resource server (HTTP Basic),
-- asking about the users' access tokens in turn (each thread starts at
-- its own offset). The requests are built once in init.
--
--   wrk -t1 -c64 -d10s -s scripts/wrk/introspect.lua http://127.0.0.1:8080 -- FIXTURES
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local fixtures = dofile(here .. "fixtures.lua")

local counter = 0
function setup(thread)
   thread:set("offset", counter * 7919)
   counter = counter + 1
end

local reqs, n, i = {}, 0, 0
function init(args)
   local fx = fixtures.read(args[1])
   local headers = {
      ["Host"] = fixtures.host(),
      ["Authorization"] = "Basic " .. fx.resource_basic,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }
   for _, tok in ipairs(fx.tokens) do
      n = n + 1
      -- A JWT is base64url and dots: nothing to form-encode.
      reqs[n] = wrk.format("POST", "/oauth/introspect", headers, "token=" .. tok)
   end
   assert(n > 0, "no tokens in the fixtures file")
   i = (offset or 0) % n
end

function request()
   i = i % n + 1
   return reqs[i]
end

function done(summary, latency, requests)
   fixtures.done(summary, latency)
end
