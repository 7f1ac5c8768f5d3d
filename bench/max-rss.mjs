// Preloaded into a benchmarked command (`node --import ./bench/max-rss.mjs …`): its peak resident set size on exit.
process.on('exit', () => process.stderr.write(`\nMAXRSS_KB ${process.resourceUsage().maxRSS}\n`));
