-- wrk script: POSTs one signed GitHub pull_request.opened delivery per request, each with a unique
-- X-GitHub-Delivery (so the gateway's dedup never short-circuits), and counts answers by status.
-- Inputs (environment): BENCH_BODY_FILE, BENCH_SIGNATURE ("sha256=<hex>", computed by run.sh).
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
  body = f:read("*a")
  f:close()
  signature = os.getenv("BENCH_SIGNATURE")
  seq = 0
  accepted, other = 0, 0
  prefix = string.format("bench-%d-%d-", os.time(), tid)
end

function request()
  seq = seq + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "pull_request",
    ["X-GitHub-Delivery"] = prefix .. seq,
    ["X-Hub-Signature-256"] = signature,
  }
  return wrk.format("POST", "/webhook/github", headers, body)
end

function response(status, headers, body)
  if status == 202 then accepted = accepted + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted")
    o = o + t:get("other")
  end
  io.write(string.format("RESULT accepted=%d other=%d requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    a, o, summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
