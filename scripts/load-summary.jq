# Summary of scripts/load: reads the tagged reports (an array, jq -s) and
# prints each target with the median figure of every store, "yes" or "no".
# A run held to a ceiling carries the ceiling measured just before it; its
# share of that ceiling is taken run by run, and the median share is the
# figure. Reports without one are held to the median of all ceilings.

def median: sort | if length == 0 then null
  elif length % 2 == 1 then .[length / 2 | floor]
  else (.[length / 2 - 1] + .[length / 2]) / 2 end;


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
          cores: (map(.server_cpu_cores // empty) | median),
          ceil: (map(.ceiling // empty) | median),
          share: (map(select(.ceiling != null and .ceiling > 0) | .total.per_second / .ceiling) | median)})) as $figs
| def fig($st; $name): ($figs | map(select(.store == $st and .label == $name)) | first) // {};
  def yn(c): if c == null then "—" elif c then "yes" else "no" end;
  def ok(x; c): if x == null then null else c end;
  # held($f; $what; $sigs): the run's share of the ceiling of $what, for
  # a path costing $sigs of it: per run when measured beside it.
  def held($f; $what; $sigs): if $f.share != null then $f.share * $sigs
    elif $f.rate != null and ($ceil[$what] // 0) > 0 then $f.rate / $ceil[$what] * $sigs else null end;
  def ceilof($f; $what): $f.ceil // $ceil[$what];
  ($figs | map(.store) | unique) as $stores
| "ceilings: RS256 \(($ceil["ceiling RS256"] // 0) | r0)/s, ES256 \($ceil["ceiling ES256"] | r0)/s, argon2id \(($ceil["ceiling argon2id"] // 0) | r1)/s",
  "",
  ($stores[] as $s
   | "### \($s)",
     (fig($s; "client_credentials ES256") as $f
      | "client_credentials ES256: \($f.rate | r0)/s (≥ 8000), p99 \($f.p99 | r1) ms (< 25): \(yn(ok($f.rate; $f.rate >= 8000 and $f.p99 < 25)))"),
     (fig($s; "client_credentials RS256") as $f | held($f; "ceiling RS256"; 1) as $h
      | "client_credentials RS256: \($f.rate | r0)/s against an RS256 ceiling of \(ceilof($f; "ceiling RS256") | r0)/s: \(if $h then $h * 100 | r0 else null end)% (≥ 80%): \(yn(ok($h; $h >= 0.8)))"),
     (fig($s; "refresh ES256") as $f
      | "refresh ES256: \($f.rate | r0)/s (≥ 4000), p99 \($f.p99 | r1) ms: \(yn(ok($f.rate; $f.rate >= 4000)))"),
     (fig($s; "refresh RS256") as $f | held($f; "ceiling RS256"; 2) as $h
      | "refresh RS256: \($f.rate | r0)/s against a two-signature ceiling of \((ceilof($f; "ceiling RS256") // 0) / 2 | r0)/s: \(if $h then $h * 100 | r0 else null end)% (≥ 75%): \(yn(ok($h; $h >= 0.75)))"),
     (fig($s; "userinfo") as $f
      | "userinfo: \($f.rate | r0)/s (≥ 15000), p99 \($f.p99 | r1) ms: \(yn(ok($f.rate; $f.rate >= 15000)))"),
     (fig($s; "introspection") as $f
      | "introspection: \($f.rate | r0)/s (≥ 15000), p99 \($f.p99 | r1) ms: \(yn(ok($f.rate; $f.rate >= 15000)))"),
     (fig($s; "password sign-in (200)") as $f | held($f; "ceiling argon2id"; 1) as $h
      | "password sign-in, 200 concurrent: \($f.rate | r1)/s against an argon2id ceiling of \(ceilof($f; "ceiling argon2id") | r1)/s: \(if $h then $h * 100 | r0 else null end)% (≥ 80%): \(yn(ok($h; $h >= 0.8))); peak RSS \($f.rss | r0) MiB (< 512): \(yn(ok($f.rss; $f.rss < 512)))"),
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
