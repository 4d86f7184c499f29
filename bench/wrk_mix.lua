-- wrk script: replays a mixed list of request paths (one per line in the file named by
-- the MIX_FILE environment variable) and counts server errors (5xx) and other failures.
local paths = {}
local counter = 0
local errors5xx = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = os.getenv("MIX_FILE")
  for line in io.lines(file) do
    if #line > 0 then table.insert(paths, line) end
  end
  counter = math.random(#paths)
  errors5xx = 0
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function response(status, headers, body)
  if status >= 500 then errors5xx = errors5xx + 1 end
end

function done(summary, latency, requests)
  local e5 = 0
  for _, t in ipairs(threads) do e5 = e5 + (t:get("errors5xx") or 0) end
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d "
    .. "connect_err=%d read_err=%d write_err=%d timeout_err=%d status_err=%d err5xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, summary.errors.status, e5))
end
