# Markdown tables from runs/bench/results.tsv (see bin/bench-fmnist-vtab): test accuracy per task and
# method, the mean over seeds with ± half the range when there are several, the average over tasks,
# trainable parameters (mean over tasks) and wall seconds of seed 0 (other seeds may have shared the
# machine); then the few-shot table.
NR == 1 { next }
{
  task = $1; method = $2; key = task SUBSEP method
  if ($3 != "" && !((key, $3) in seen)) { seen[key, $3] = 1; seeds[key]++ }
  if (method ~ /-supernet$/) { if ($3 == 0) sup[key] = $6; next }
  n[key]++; sum[key] += $5; params[key] += $4; if ($3 == 0) secs[key] = $6
  if (!(key in lo) || $5 < lo[key]) lo[key] = $5
  if (!(key in hi) || $5 > hi[key]) hi[key] = $5
  if (!(method in known)) { known[method] = 1; order[++methods] = method }
}
function cell(key,    m) {
  if (!(key in n)) return "–"
  m = sprintf("%.2f", 100 * sum[key] / n[key])
  return n[key] > 1 ? m sprintf(" ± %.2f", 50 * (hi[key] - lo[key])) : m
}
END {
  split("new5 all10 invert rotation location count", tasks, " ")
  print "| method | " "new5 | all10 | invert | rotation | location | count | average | trainable parameters | seconds per task (seed 0; searched: supernet + search) | seeds |"
  print "|---|---|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= methods; i++) {
    method = order[i]; if (method ~ /shot/) continue
    line = "| " method; total = 0; count = 0; p = 0; s = 0; timed = 0; sd = 0
    for (t = 1; t <= 6; t++) {
      key = tasks[t] SUBSEP method; line = line " | " cell(key)
      if (key in n) { total += 100 * sum[key] / n[key]; count++; p += params[key] / n[key]; sd = seeds[key] > sd ? seeds[key] : sd
        if (key in secs) { s += secs[key]; timed++ }
        if (method ~ /-search-/) { sk = method; sub(/-search-.*/, "-supernet", sk); sk = tasks[t] SUBSEP sk
          if (sk in sup) s += sup[sk] } }
    }
    line = line sprintf(" | **%.2f** | %.0f | %.0f | %d |", count ? total / count : 0, count ? p / count : 0, timed ? s / timed : 0, sd)
    print line
  }
  print ""
  print "| few-shot new5 | 1 | 2 | 4 | 8 | 16 | seeds |"
  print "|---|---|---|---|---|---|---|"
  for (i = 1; i <= methods; i++) { # the few-shot methods, named without their -<k>shot
    m = order[i]; if (m !~ /-[0-9]+shot/) continue
    sub(/-[0-9]+shot/, "", m); if (!(m in fewKnown)) { fewKnown[m] = 1; few[++fews] = m }
  }
  for (f = 1; f <= fews; f++) {
    line = "| " few[f]; sd = 0
    for (k = 1; k <= 16; k *= 2) {
      m = few[f]
      if (m ~ /-(search|retrain)-/) sub(/-(search|retrain)-/, "-" k "shot&", m); else m = m "-" k "shot"
      key = "new5" SUBSEP m; line = line " | " cell(key); if (seeds[key] > sd) sd = seeds[key]
    }
    print line " | " sd " |"
  }
}
