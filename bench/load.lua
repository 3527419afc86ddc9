-- wrk script for `make load`: cycles through the request mix in LOAD_REQUESTS (lines "path<TAB>status<TAB>body"),
-- one connection per thread so each response answers the request just sent, and counts answers whose status is
-- not the one expected for that request.
local threads = {}
local id = 0

function setup(thread)
  id = id + 1
  thread:set("id", id)
  table.insert(threads, thread)
end

function init(args)
  reqs, expected, statuses = {}, {}, {}
  unexpected, sent = 0, 0
  local f = assert(io.open(os.getenv("LOAD_REQUESTS"), "rb"))
  for line in f:lines() do
    local path, status, body = line:match("^([^\t]*)\t(%d+)\t(.*)$")
    table.insert(reqs, wrk.format("POST", path, {["Content-Type"] = "application/json"}, body))
    table.insert(expected, tonumber(status))
  end
  f:close()
  idx = (id * 7) % #reqs   -- threads start at different places in the mix
end

function request()
  idx = idx % #reqs + 1
  sent = idx
  return reqs[idx]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= expected[sent] then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total_unexpected, by_status = 0, {}
  for _, t in ipairs(threads) do
    total_unexpected = total_unexpected + t:get("unexpected")
    for status, n in pairs(t:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(by_status) do table.insert(parts, status .. ":" .. n) end
  table.sort(parts)
  io.write(string.format("LOAD requests=%d duration_us=%d p50_us=%d p99_us=%d unexpected=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), total_unexpected,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write("STATUSES " .. table.concat(parts, " ") .. "\n")
end
