-- wrk script for bench/intake-whatsapp.sh: every request is one WhatsApp Cloud API webhook
-- (a first text message from a new number, which files a report), signed as Meta signs it
-- (X-Hub-Signature-256). The bodies and signatures are made beforehand by the shell script, one
-- file per wrk thread (LuaJIT has no HMAC); each line is "signature<TAB>body".
--
-- usage: wrk ... -s bench/wa_messages.lua URL -- <file prefix>

local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   msgs = {}
   for line in io.lines(args[1] .. tid) do
      local tab = line:find("\t", 1, true)
      msgs[#msgs + 1] = { line:sub(1, tab - 1), line:sub(tab + 1) }
   end
   n, ok, bad, codes = 0, 0, 0, ""
end

function request()
   n = n + 1
   local m = msgs[n]
   if m == nil then
      error("ran out of prepared messages; raise MESSAGES")
   end
   return wrk.format("POST", "/channels/whatsapp",
      { ["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = m[1] }, m[2])
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
   else
      bad = bad + 1
      if #codes < 500 then codes = codes .. status .. "," end
   end
end

function done(summary, latency, requests)
   local t_ok, t_bad, t_codes = 0, 0, ""
   for _, t in ipairs(threads) do
      t_ok = t_ok + t:get("ok")
      t_bad = t_bad + t:get("bad")
      t_codes = t_codes .. t:get("codes")
   end
   local secs = summary.duration / 1e6
   io.write(string.format("RESULT messages_2xx=%d non_2xx=%d socket_errors=%d per_sec=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
      t_ok, t_bad, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      t_ok / secs, latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
   if t_bad > 0 then io.write("non-2xx codes: " .. t_codes .. "\n") end
end
