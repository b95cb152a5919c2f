-- wrk script of bench/bench_settlement_load.py: one-stop settlements of designated-hospital bills.
--
-- Each request is a new bill (a visit number unique across threads and runs: BENCH_VISIT_PREFIX,
-- the thread's number and a counter) of a patient drawn at random from the ID numbers in the file
-- BENCH_IDS (one a line), with random amounts whose parts add up to the total and admission and
-- discharge days drawn from BENCH_DATES ("admitted/discharged,admitted/discharged,..."). The key
-- is BENCH_KEY. Answers are counted by status; `done` prints one line "BENCH_RESULT {json}" that
-- the Python script reads (wrk's own figures are printed above it).

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local function split(text, sep)
  local out = {}
  for part in string.gmatch(text, "([^" .. sep .. "]+)") do
    table.insert(out, part)
  end
  return out
end

function init(args)
  ids = {}
  for line in io.lines(os.getenv("BENCH_IDS")) do
    if #line > 0 then table.insert(ids, line) end
  end
  dates = {}
  for _, pair in ipairs(split(os.getenv("BENCH_DATES"), ",")) do
    table.insert(dates, split(pair, "/"))
  end
  prefix = os.getenv("BENCH_VISIT_PREFIX") or "L"
  path = os.getenv("BENCH_PATH") or "/api/v1/medical/institution/settlements"
  headers = {["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY"), ["Content-Type"] = "application/json",
             ["Accept-Language"] = "en"}
  math.randomseed(os.time() * 100 + tid)
  sent, ok, client_errors, server_errors, other = 0, 0, 0, 0, 0
  first_error = ""
end

local function money(cents)
  return string.format("%d.%02d", math.floor(cents / 100), cents % 100)
end

function request()
  sent = sent + 1
  local eligible = math.random(20000, 900000)       -- cents: 200.00 to 9,000.00
  local ineligible = math.random(0, 200000)
  local basic = math.random(50000, 2000000)
  local critical = math.random(0, 4) == 0 and math.random(0, 500000) or 0
  local total = eligible + ineligible + basic + critical
  local day = dates[math.random(#dates)]
  local body = string.format(
    '{"visit_number":"%s%d-%d","id_number":"%s","admitted_on":"%s","discharged_on":"%s","total_cost":"%s",' ..
    '"basic_insurance_paid":"%s","critical_illness_paid":"%s","eligible_self_paid":"%s","ineligible_self_paid":"%s"}',
    prefix, tid, sent, ids[math.random(#ids)], day[1], day[2], money(total), money(basic), money(critical),
    money(eligible), money(ineligible))
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    if status >= 500 then server_errors = server_errors + 1
    elseif status >= 400 then client_errors = client_errors + 1
    else other = other + 1 end
    if first_error == "" then first_error = status .. " " .. string.sub(body, 1, 300) end
  end
end

function done(summary, latency, requests)
  local totals = {sent = 0, ok = 0, client_errors = 0, server_errors = 0, other = 0}
  local first = ""
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
    if first == "" then first = thread:get("first_error") or "" end
  end
  first = string.gsub(string.gsub(first, "\\", "\\\\"), '"', '\\"')
  first = string.gsub(first, "[%c]", " ")
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"sent":%d,"ok":%d,"client_errors":%d,"server_errors":%d,"other":%d,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"non_2xx_wrk":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f,"first_error":"%s"}\n',
    summary.requests, summary.duration, totals.sent, totals.ok, totals.client_errors, totals.server_errors, totals.other,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max,
    latency.mean, first))
end
