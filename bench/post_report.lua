-- wrk script for bench/intake.sh: every request submits one new citizen report through
-- POST /api/v1/reports, shaped like the peer benchmark's tickets (a ~60-character unique title,
-- a 500-character body, a submitter e-mail), plus what a real report carries (kind, region,
-- category, visibility). Counts 2xx and other answers per thread and prints the totals.
--
-- usage: wrk ... -s bench/post_report.lua URL -- <run tag>

threads = {}

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

COUNTED = "reports"
dofile("bench/wrk_count.lua")
