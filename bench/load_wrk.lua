-- bench/load.py --client wrk: the request paths of $URLS round-robin, each wrk thread from its own
-- offset; a thread stops after $MAX_REQUESTS answers. done() prints one JSON line of figures.
local urls = {}
for line in io.lines(os.getenv("URLS")) do urls[#urls + 1] = line end
local limit = tonumber(os.getenv("MAX_REQUESTS") or "0")

local threads = 0
function setup(thread)
  thread:set("offset", threads * 997)
  threads = threads + 1
end

local i, answered = nil, 0
function request()
  if i == nil then i = offset or 0 end
  i = i + 1
  return wrk.format("GET", urls[(i % #urls) + 1])
end

function response(status, headers, body)
  answered = answered + 1
  if limit > 0 and answered >= limit then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.status + e.timeout))
end
