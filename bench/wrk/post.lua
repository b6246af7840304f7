-- bench/run: one fixed POST, repeated. Arguments after "--": the request
-- path, the JSON body, and the bearer token (empty for none).
--
--   wrk -t1 -c32 -d5s -s bench/wrk/post.lua http://127.0.0.1:PORT -- /me/v1/authentication-methods '{"type":"totp"}' TOKEN
--
-- wrk's own summary counts answers other than 2xx and 3xx ("Non-2xx or
-- 3xx responses"); bench/run refuses a run that has any.

function init(args)
   wrk.method = "POST"
   wrk.path = args[1]
   wrk.body = args[2]
   wrk.headers["Content-Type"] = "application/json"
   if args[3] ~= nil and args[3] ~= "" then
      wrk.headers["Authorization"] = "Bearer " .. args[3]
   end
end
