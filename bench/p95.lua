-- wrk client: keeps the session cookie the portal hands back, as a browser does, and reports
-- requests, seconds and the 95th-percentile latency (ms), plus the non-2xx count.
request = function()
  return wrk.format()
end

response = function(status, headers, body)
  local cookie = headers["Set-Cookie"]
  if cookie then
    wrk.headers["Cookie"] = cookie:match("^[^;]+")
  end
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.6f %.3f %d\n", summary.requests, summary.duration / 1e6,
                         latency:percentile(95) / 1000, summary.errors.status))
end
