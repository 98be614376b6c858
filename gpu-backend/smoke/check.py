"""JSON work for smoke-test.sh (python3 stdlib only): builds the requests from expected.json and
checks vLLM's replies against it by value.

expected.json (written by expected.mjs with the real Qwen3 tokenizer) holds each request exactly as
the worker formats it, the token count of each pair and their sum (vLLM 0.13's
usage.prompt_tokens), and the ranking a working model must produce.
"""
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "expected.json")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def fail(msg):
    print(msg)
    sys.exit(1)


def expected():
    return load(EXPECTED)


def request(name):
    for r in expected()["requests"]:
        if r["name"] == name:
            return r
    fail(f"no request named {name!r} in {EXPECTED}")


def long_count(max_model_len):
    """Tokens of the over-long pair: "word" + " word" * n is base_tokens + n (expected.mjs checks it)."""
    base = expected()["long"]["base_tokens"]
    n = max(int(max_model_len) + 1000 - base, 0)
    return n, base + n


def body_json(path):
    try:
        return load(path)
    except ValueError:
        fail("reply is not JSON")


def token_hint(got, want, pairs):
    delta = got - want
    if delta == pairs:
        return ("one extra token per pair: vLLM puts a separator or BOS/pad token between or before "
                "query and document (a score template, use_pad_token, or a different checkpoint config)")
    if delta % pairs == 0 and delta > 0:
        return (f"{delta // pairs} extra tokens per pair: a server-side template (--chat-template) re-wraps "
                "the already formatted text")
    return ("the text vLLM tokenized is not the text sent: check the tokenizer (MODEL), any "
            "--chat-template, and that the instruction/prefix were not changed on the way")


def check(name, path, model, scores_out):
    want = request(name)
    n = len(want["documents"])
    body = body_json(path)
    if body.get("model") != model:
        fail(f"reply model is {body.get('model')!r}, expected {model!r} (SERVED_MODEL_NAME)")
    results = body.get("results")
    if not isinstance(results, list) or len(results) != n:
        fail(f"expected {n} results, got {json.dumps(results)[:200]}")
    scores = {}
    for r in results:
        i, s = r.get("index"), r.get("relevance_score")
        if not isinstance(i, int) or isinstance(i, bool) or i in scores or not 0 <= i < n:
            fail(f"bad or duplicate index {i!r}")
        if not isinstance(s, (int, float)) or isinstance(s, bool) or not math.isfinite(s) or not 0 <= s <= 1:
            fail(f"score {s!r} for index {i} is not a finite number in [0, 1]")
        if (r.get("document") or {}).get("text") != want["documents"][i]:
            fail(f"results index {i} does not echo the document sent")
        scores[i] = float(s)
    shown = ", ".join(f"doc{i}={scores[i]:.4f}" for i in range(n))
    usage = body.get("usage") or {}
    got_tokens = usage.get("prompt_tokens")
    if got_tokens != want["prompt_tokens"]:
        fail(f"usage.prompt_tokens is {got_tokens!r}, expected exactly {want['prompt_tokens']} "
             f"(pairs: {' + '.join(map(str, want['pair_tokens']))}): "
             + (token_hint(got_tokens, want["prompt_tokens"], n) if isinstance(got_tokens, int) else "missing"))
    if usage.get("total_tokens") != got_tokens:
        fail(f"usage.total_tokens {usage.get('total_tokens')!r} != prompt_tokens {got_tokens} (a pooling call generates nothing)")
    if all(abs(s - 0.5) < 0.02 for s in scores.values()):
        fail(f"every score ≈ 0.5 ({shown}): the score head is not loaded (vLLM #27857, 8B on 0.11.1rc) "
             "or the checkpoint is FP8-quantized (before vLLM PR #35849); serve the bf16 checkpoint on the pinned image")
    # The model card and graded sets each hold a document that is plainly irrelevant (gravity).
    if name in ("model-card", "graded") and all(s > 0.5 for s in scores.values()):
        fail(f"every score high ({shown}): the model is not seeing the Qwen3 prompt format: check that "
             "--hf-overrides is passed for the original checkpoint (else vLLM scores embeddings, #23615) "
             "and that no server-side --chat-template re-wraps the already formatted text")
    order = [r["index"] for r in results]
    if [scores[i] for i in order] != sorted(scores.values(), reverse=True):
        fail(f"results are not sorted by score ({shown})")
    if order != want["order"]:
        hint = ""
        if name.startswith("instruction-"):
            hint = ": the instruction did not change the ranking, so the model is not seeing it"
        fail(f"ranking is {order}, expected {want['order']} ({shown}){hint}")
    if name == "model-card":
        if not scores[0] > 0.9:
            fail(f"relevant document scored {scores[0]:.4f}, expected > 0.9 ({shown})")
        if not scores[1] < 0.1:
            fail(f"irrelevant document scored {scores[1]:.4f}, expected < 0.1 ({shown})")
    run = load(scores_out) if os.path.exists(scores_out) else {}
    run.setdefault(name, []).append([scores[i] for i in range(n)])
    with open(scores_out, "w", encoding="utf-8") as f:
        json.dump(run, f)
    print(f"prompt_tokens={got_tokens}, ranking {order}: {shown}")


def spread(run_path, tolerance, noun="rounds"):
    """Scores of the same requests from several rounds through the proxy (each to whichever replica
    it chose) or from each replica directly: they must agree."""
    run = load(run_path)
    worst = (0.0, None)
    rounds = 0
    for name, all_rounds in run.items():
        rounds = max(rounds, len(all_rounds))
        for r, values in enumerate(all_rounds[1:], start=2):
            for i, (a, b) in enumerate(zip(values, all_rounds[0])):
                if abs(a - b) > worst[0]:
                    worst = (abs(a - b), f"{name} doc{i}: {a:.4f} in {noun[:-1]} {r}, {b:.4f} in {noun[:-1]} 1")
    detail = f"{rounds} {noun}: max |Δ| between {noun} = {worst[0]:.4f}" + (f" ({worst[1]})" if worst[1] else "")
    if worst[0] > tolerance:
        fail(f"{detail} > {tolerance}: the replicas behind the proxy (or repeated calls) disagree; "
             "compare each replica's image, MODEL and dtype (docker compose config)")
    print(detail)


def compare(store_path, model, tp, run_path, tolerance):
    """Compares this run's scores (first round) with every run recorded for the same model (each TP,
    and this TP's previous run), then records this one under its TP."""
    run = {name: rounds[0] for name, rounds in load(run_path).items()}
    store = load(store_path) if os.path.exists(store_path) else {}
    runs = store.setdefault(model, {})
    label = f"tp={tp}"
    worst = (0.0, None)
    compared = []
    for other, scores in sorted(runs.items()):
        compared.append(other)
        for name, values in run.items():
            before = scores.get(name)
            if before is None or len(before) != len(values):
                continue
            for i, (a, b) in enumerate(zip(values, before)):
                if abs(a - b) > worst[0]:
                    worst = (abs(a - b), f"{name} doc{i}: {a:.4f} now, {b:.4f} at {other}")
    ok = worst[0] <= tolerance
    if ok:
        runs[label] = run
        with open(store_path, "w", encoding="utf-8") as f:
            json.dump(store, f, indent=1, sort_keys=True)
    if not compared:
        print(f"first run recorded for {model} at {label} in {store_path}; run again at your other TP to compare")
        return
    detail = f"max |Δ| = {worst[0]:.4f} against {', '.join(compared)}" + (f" ({worst[1]})" if worst[1] else "")
    if not ok:
        fail(f"{detail} > {tolerance}: scores drift between runs (TP drift, vLLM #23804, or a changed "
             f"image/model); not recorded. Delete {store_path} to start over after an intended change")
    print(detail)


def check_long(path, max_model_len):
    body = body_json(path)
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        fail(f"error reply is not the nested vLLM shape: {json.dumps(body)[:200]}")
    _, tokens = long_count(max_model_len)
    want = (f"This model's maximum context length is {max_model_len} tokens. However, you requested "
            f"{tokens} tokens in the input for embedding generation. Please reduce the length of the input.")
    if err.get("message") != want:
        fail(f"error.message is {err.get('message')!r}, expected {want!r} (MAX_MODEL_LEN or the token count differs)")
    # vLLM 0.13 answers {"error":{"message","type","param","code"}} (protocol.py ErrorResponse).
    if err.get("type") != "BadRequestError" or err.get("code") != 400 or err.get("param") not in (None, "input_tokens"):
        fail(f"error body is not vLLM's BadRequestError/400: {json.dumps(err)[:200]}")
    print(err["message"])


def main(argv):
    mode = argv[1]
    if mode == "names":
        print(" ".join(r["name"] for r in expected()["requests"]))
    elif mode == "build":
        r = request(argv[2])
        print(json.dumps({"model": argv[3], "query": r["query"], "documents": r["documents"]}, indent=2))
    elif mode == "build-long":
        lng = expected()["long"]
        n, _ = long_count(argv[3])
        doc = lng["head"] + lng["first"] + lng["unit"] * n + lng["tail"]
        print(json.dumps({"model": argv[2], "query": lng["query"], "documents": [doc]}))
    elif mode == "check":
        check(argv[2], argv[3], argv[4], argv[5])
    elif mode == "spread":
        spread(argv[2], float(argv[3]), *argv[4:5])
    elif mode == "compare":
        compare(argv[2], argv[3], argv[4], argv[5], float(argv[6]))
    elif mode == "check-long":
        check_long(argv[2], int(argv[3]))
    elif mode == "check-401":
        body = body_json(argv[2])
        if body != {"error": "Unauthorized"}:
            fail(f"401 reply is not vLLM's {{\"error\":\"Unauthorized\"}}: {json.dumps(body)[:200]}")
    elif mode == "models-id":
        print(load(argv[2])["data"][0]["id"])
    else:
        fail(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv)
