-- bench/run: POST each request of a pool once. Arguments after "--": the
-- pool file, one request per line, "PATH<TAB>BODY[<TAB>TOKEN]", the bearer
-- token of lines without their own, and optionally "cycle" to start the
-- pool over at its end.
--
--   wrk -t1 -c32 -d5s -s bench/wrk/verify.lua http://127.0.0.1:PORT -- pool.tsv TOKEN [cycle]
--
-- bench/run writes a pool of confirms: the verify route of one started
-- TOTP enrollment per line, with an {"auth_session", "otp_code"} body
-- holding the code its authenticator shows, so every request is a
-- distinct, correct confirm and, with the pool large enough, every answer
-- is 201. It runs the same pool against bench/baseline, so both sides of
-- the ratio pay the same client cost (cycling through it, as the baseline
-- neither knows nor cares that a request was sent before). The requests are formatted once, in
-- init, so that wrk spends as little as possible per request.
--
-- Past the pool's end the last request is sent again (answered 400,
-- already used, so counted by wrk as non-2xx); done() prints how much of
-- the pool each thread used.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   pool = {}
   for line in io.lines(args[1]) do
      local path, rest = line:match("^([^\t]+)\t(.+)$")
      if path then
         local body, token = rest:match("^([^\t]+)\t([^\t]+)$")
         if not body then
            body, token = rest, args[2]
         end
         local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
         table.insert(pool, wrk.format("POST", path, headers, body))
      end
   end
   size = #pool
   cycle = args[3] == "cycle"
   used = 0
   over = 0
end

function request()
   if used < size then
      used = used + 1
      return pool[used]
   end
   if cycle then
      used = 1
      return pool[1]
   end
   over = over + 1
   return pool[size]
end

function done(summary, latency, requests)
   for _, t in ipairs(threads) do
      io.write(string.format("pool: size %d used %d over %d\n", t:get("size"), t:get("used"), t:get("over")))
   end
end
