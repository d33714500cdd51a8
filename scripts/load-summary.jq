# Summary of scripts/load: reads the tagged reports (an array, jq -s) and
# prints each target with the median figure of every store, "yes" or "no".

def median: sort | if length == 0 then null
  elif length % 2 == 1 then .[length / 2 | floor]
  else (.[length / 2 - 1] + .[length / 2]) / 2 end;

def pct($a; $b): if $a == null or $b == null or $b == 0 then null else ($a / $b * 100 | round) end;

def r0: if . == null then null else (. * 1 | round) end;
def r1: if . == null then null else (. * 10 | round) / 10 end;

. as $all
| ($all | map(select(.store == "-")) | group_by(.label)
   | map({key: .[0].label, value: (map(.total.per_second) | median)}) | from_entries) as $ceil
| ($all | map(select(.store != "-")) | group_by([.store, .label])
   | map({store: .[0].store, label: .[0].label,
          rate: (map(.total.per_second) | median),
          p99: (map(.total.p99_ms // empty) | median),
          rss: (map(.server_rss_peak_mib // empty) | median),
          cores: (map(.server_cpu_cores // empty) | median)})) as $figs
| def fig($st; $name): ($figs | map(select(.store == $st and .label == $name)) | first) // {};
  def yn(c): if c == null then "—" elif c then "yes" else "no" end;
  def ok(x; c): if x == null then null else c end;
  ($figs | map(.store) | unique) as $stores
| "ceilings: RS256 \(($ceil["ceiling RS256"] // 0) | r0)/s, ES256 \($ceil["ceiling ES256"] | r0)/s, argon2id \(($ceil["ceiling argon2id"] // 0) | r1)/s",
  "",
  ($stores[] as $s
   | "### \($s)",
     (fig($s; "client_credentials ES256") as $f
      | "client_credentials ES256: \($f.rate | r0)/s (≥ 8000), p99 \($f.p99 | r1) ms (< 25): \(yn(ok($f.rate; $f.rate >= 8000 and $f.p99 < 25)))"),
     (fig($s; "client_credentials RS256") as $f | (($ceil["ceiling RS256"] // 0) * 0.8) as $t
      | "client_credentials RS256: \($f.rate | r0)/s (≥ 80% of the RS256 ceiling: \($t | r0)/s), \(pct($f.rate; ($ceil["ceiling RS256"] // 0)))%: \(yn(ok($f.rate; $f.rate >= $t)))"),
     (fig($s; "refresh ES256") as $f
      | "refresh ES256: \($f.rate | r0)/s (≥ 4000), p99 \($f.p99 | r1) ms: \(yn(ok($f.rate; $f.rate >= 4000)))"),
     (fig($s; "refresh RS256") as $f | (($ceil["ceiling RS256"] // 0) / 2 * 0.75) as $t
      | "refresh RS256: \($f.rate | r0)/s (≥ 75% of the two-signature ceiling: \($t | r0)/s), \(pct($f.rate; ($ceil["ceiling RS256"] // 0) / 2))%: \(yn(ok($f.rate; $f.rate >= $t)))"),
     (fig($s; "userinfo") as $f
      | "userinfo: \($f.rate | r0)/s (≥ 15000), p99 \($f.p99 | r1) ms: \(yn(ok($f.rate; $f.rate >= 15000)))"),
     (fig($s; "introspection") as $f
      | "introspection: \($f.rate | r0)/s (≥ 15000), p99 \($f.p99 | r1) ms: \(yn(ok($f.rate; $f.rate >= 15000)))"),
     (fig($s; "password sign-in (200)") as $f | (($ceil["ceiling argon2id"] // 0) * 0.8) as $t
      | "password sign-in, 200 concurrent: \($f.rate | r1)/s (≥ 80% of the argon2id ceiling: \($t | r1)/s), \(pct($f.rate; ($ceil["ceiling argon2id"] // 0)))%: \(yn(ok($f.rate; $f.rate >= $t))); peak RSS \($f.rss | r0) MiB (< 512): \(yn(ok($f.rss; $f.rss < 512)))"),
     (fig($s; "idle RSS") as $f
      | "idle RSS: \($f.rss | r1) MiB (< 64): \(yn(ok($f.rss; $f.rss < 64)))"),
     (fig($s; "code flow RS256 (16)") as $f | select($f.rate != null)
      | "code flow RS256, 16 workers: \($f.rate | r0)/s, p99 \($f.p99 | r1) ms"),
     (fig($s; "mix RS256") as $f | select($f.rate != null)
      | "mix RS256: \($f.rate | r0)/s, p99 \($f.p99 | r1) ms"),
     (["refresh ES256", "userinfo"][] as $l
      | fig($s; $l + ", grown") as $g | fig($s; $l) as $e | select($g.rate != null)
      | "\($l) with the grown store: \($g.rate | r0)/s against \($e.rate | r0)/s empty, \(if $e.rate then (($g.rate / $e.rate - 1) * 100 | r0) else null end)% (within ±20%): \(yn(ok($e.rate; ($g.rate / $e.rate - 1) | fabs <= 0.2)))"),
     (fig($s; "refresh ES256 under the sweep") as $f | select($f.rate != null)
      | "refresh ES256 while the sweep runs: \($f.rate | r0)/s, p99 \($f.p99 | r1) ms"),
     "")
