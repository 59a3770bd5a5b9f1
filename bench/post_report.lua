-- wrk script for bench/intake.sh: every request submits one new citizen report through
-- POST /api/v1/reports, shaped like the peer benchmark's tickets (a ~60-character unique title,
-- a 500-character body, a submitter e-mail), plus what a real report carries (kind, region,
-- category, visibility). Counts 2xx and other answers per thread and prints the totals.
--
-- usage: wrk ... -s bench/post_report.lua URL -- <run tag>

local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

local TEXT = string.rep("Jalan provinsi di depan pasar berlubang besar dan membahayakan pengendara motor. ", 7):sub(1, 500)

function init(args)
   tag = args[1] or "run"
   n, ok, bad, codes = 0, 0, 0, ""
   headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
end

function request()
   n = n + 1
   local body = string.format(
      '{"kind":"pengaduan","title":"%s t%d n%07d jalan berlubang di depan pasar","body":"%s",' ..
      '"region_code":"33.74.01.1001","category":"jalan-jembatan","visibility":"publik",' ..
      '"reporter":{"email":"warga%d.%d@example.org"}}',
      tag, tid, n, TEXT, tid, n)
   return wrk.format("POST", "/api/v1/reports", headers, body)
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
   io.write(string.format("RESULT reports_2xx=%d non_2xx=%d socket_errors=%d per_sec=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
      t_ok, t_bad, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      t_ok / secs, latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
   if t_bad > 0 then io.write("non-2xx codes: " .. t_codes .. "\n") end
end
