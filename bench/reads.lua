-- GET one of the paths listed in a file, at random, with an optional Cookie header.
--   wrk ... -s bench/reads.lua URL -- PATHS_FILE [COOKIE]
local paths, cookie = {}, nil

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  if args[2] and args[2] ~= "" then cookie = args[2] end
  math.randomseed(os.time() + #paths + math.floor(os.clock() * 1e6))
end

function request()
  local headers = {}
  if cookie then headers["Cookie"] = cookie end
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
