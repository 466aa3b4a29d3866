-- wrk reporter: requests, seconds and the 95th-percentile latency (ms), plus non-2xx count.
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.6f %.3f %d\n", summary.requests, summary.duration / 1e6,
                         latency:percentile(95) / 1000, summary.errors.status))
end
