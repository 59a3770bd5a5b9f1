-- wrk script for bench/intake-whatsapp.sh: every request is one WhatsApp Cloud API webhook
-- (a first text message from a new number, which files a report), signed as Meta signs it
-- (X-Hub-Signature-256). The bodies and signatures are made beforehand by the shell script, one
-- file per wrk thread (LuaJIT has no HMAC); each line is "signature<TAB>body".
--
-- usage: wrk ... -s bench/wa_messages.lua URL -- <file prefix>

threads = {}

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

COUNTED = "messages"
dofile("bench/wrk_count.lua")
