-- wrk script: refresh_token rotation. Every chain (a refresh token of one
-- grant) is spent by one request at a time: request() takes a chain that
-- is not in flight, and response() puts back the token the rotation
-- returned. A thread holds more chains than connections, so one is always
-- free. A failed rotation ends its chain (the spent token cannot be used
-- again); "lost" in the report counts them.
--
--   wrk -t1 -c64 -d10s -s scripts/wrk/refresh.lua http://127.0.0.1:8080 -- FIXTURES 1
--
-- The second argument is wrk's thread count (-t), by which the chains are
-- shared out.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local fixtures = dofile(here .. "fixtures.lua")

local threads, counter = {}, 0
function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   threads[#threads + 1] = thread
end

-- lost is global: done() reads it from each thread with thread:get.
local free, headers = {}, nil
lost = 0
function init(args)
   local fx = fixtures.read(args[1])
   local nthreads = tonumber(args[2]) or 1
   headers = {
      ["Host"] = fixtures.host(),
      ["Authorization"] = "Basic " .. fx.web_basic,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }
   -- Each thread takes every nthreads-th chain.
   for i, tok in ipairs(fx.refresh) do
      if (i - 1) % nthreads == id then
         free[#free + 1] = tok
      end
   end
   assert(#free > 0, "no refresh tokens for this thread")
end

function request()
   local tok = table.remove(free)
   if not tok then
      -- Every chain is in flight or lost: ask for something that fails
      -- fast rather than stall the connection.
      return wrk.format("POST", "/oauth/token", headers, "grant_type=refresh_token&refresh_token=none")
   end
   return wrk.format("POST", "/oauth/token", headers, "grant_type=refresh_token&refresh_token=" .. tok)
end

function response(status, hdrs, body)
   local tok = body:match('"refresh_token":"([^"]+)"')
   if status == 200 and tok then
      free[#free + 1] = tok
   else
      lost = lost + 1
   end
end

function done(summary, latency, requests)
   local lost = 0
   for _, t in ipairs(threads) do
      lost = lost + (t:get("lost") or 0)
   end
   fixtures.done(summary, latency, { lost = lost })
end
