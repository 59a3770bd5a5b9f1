-- Shared by the intake wrk scripts (post_report.lua, wa_messages.lua): counts 2xx and other
-- answers per thread and prints the totals as one RESULT line ("<COUNTED>_2xx=…"). A script sets
-- COUNTED, defines setup() keeping its threads in `threads`, then runs this file with dofile.

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
   io.write(string.format("RESULT %s_2xx=%d non_2xx=%d socket_errors=%d per_sec=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
      COUNTED, t_ok, t_bad, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      t_ok / secs, latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
   if t_bad > 0 then io.write("non-2xx codes: " .. t_codes .. "\n") end
end
