-- wrk script for the HTTP bench: POSTs the request bodies in BENCH_BODIES (one JSON document per line) in turn,
-- each thread starting at a different place.
local id = 0

function setup(thread)
  id = id + 1
  thread:set("id", id)
end

function init(args)
  reqs = {}
  local path = os.getenv("BENCH_PATH") or "/cds-services/imaging-auc-select"
  local f = assert(io.open(os.getenv("BENCH_BODIES"), "rb"))
  for line in f:lines() do
    table.insert(reqs, wrk.format("POST", path, {["Content-Type"] = "application/json"}, line))
  end
  f:close()
  idx = (id * 997) % #reqs
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

done = function(summary, latency, requests)
  io.write(string.format("WRK requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
