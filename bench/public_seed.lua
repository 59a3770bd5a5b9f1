-- wrk script for bench/public-dashboard.sh: submits citizen reports through POST /api/v1/reports
-- spread over twelve kabupaten/kota and eight categories, one in ten confidential and one in
-- ten anonymous, each with a reporter's name and e-mail, so the public dashboard has realistic
-- counts to make. Prints how many were accepted.
--
-- usage: wrk ... -s bench/public_seed.lua URL -- <run tag>

local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

local REGIONS = {
   "33.01.01.2001", "33.02.01.2001", "33.03.01.2001", "33.04.01.2001", "33.05.01.2001",
   "33.06.01.2001", "33.07.01.1007", "33.08.01.2001", "33.09.01.2001", "33.10.01.2001",
   "33.11.01.2001", "33.12.01.1009",
}
local CATEGORIES = {
   "jalan-jembatan", "sumber-daya-air", "air-bersih", "pendidikan", "kesehatan",
   "bantuan-sosial", "kependudukan", "perhubungan",
}
local TEXT = string.rep("Warga sudah melapor ke kantor desa tetapi belum ada tindak lanjut sampai sekarang. ", 4):sub(1, 300)

function init(args)
   tag = args[1] or "seed"
   n, ok, bad = 0, 0, 0
   headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
end

function request()
   n = n + 1
   local i = tid * 7919 + n
   local visibility = "publik"
   if i % 10 == 3 then visibility = "rahasia" elseif i % 10 == 7 then visibility = "anonim" end
   local body = string.format(
      '{"kind":"pengaduan","title":"%s t%d n%07d keluhan pelayanan publik","body":"%s",' ..
      '"region_code":"%s","category":"%s","visibility":"%s",' ..
      '"reporter":{"name":"Warga %d %d","email":"warga%d.%d@example.org"}}',
      tag, tid, n, TEXT, REGIONS[i % #REGIONS + 1], CATEGORIES[i % #CATEGORIES + 1], visibility,
      tid, n, tid, n)
   return wrk.format("POST", "/api/v1/reports", headers, body)
end

function response(status, headers, body)
   if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
   local o, b = 0, 0
   for _, t in ipairs(threads) do
      o = o + t:get("ok")
      b = b + t:get("bad")
   end
   io.write(string.format("SEEDED reports_2xx=%d other=%d\n", o, b))
end
