"""Minimal Python harmony renderer for our conversation records (the Python side of bench/pack).

The same rules as src/render (see docs/RENDERING.md): system + developer messages, analysis /
commentary / final channels, tool calls with <|constrain|>json, <|return|> on the last final,
analysis dropped before the first final when the conversation ends with a final. Text pieces are
encoded with tiktoken's encode_ordinary (special-token text stays text); special tokens are ids.
render_tokens() returns (ids, mask) with mask 1 on every assistant message from <|start|> through
its terminator (mask mode "assistant"), mask[0] = 0.
"""
import json

START, END, MESSAGE, CHANNEL, CONSTRAIN, RETURN, CALL = 200006, 200007, 200008, 200005, 200003, 200002, 200012


def ts_type(schema):
    t = schema.get("type")
    if "enum" in schema and all(isinstance(v, str) for v in schema["enum"]):
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    if t == "string":
        return "string"
    if t in ("number", "integer"):
        return "number"
    if t == "boolean":
        return "boolean"
    if t == "array":
        return ts_type(schema.get("items", {})) + "[]"
    if t == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        inner = ", ".join(f"{k}{'' if k in required else '?'}: {ts_type(v)}" for k, v in props.items())
        return "{ " + inner + " }" if inner else "{}"
    return "any"


def tool_block(fn):
    lines = []
    if fn.get("description"):
        lines += ["// " + l for l in fn["description"].split("\n")]
    params = fn.get("parameters") or {}
    props = params.get("properties") or {}
    if not props:
        lines.append(f"type {fn['name']} = () => any;")
        return "\n".join(lines)
    lines.append(f"type {fn['name']} = (_: {{")
    required = set(params.get("required", []))
    for name, schema in props.items():
        if schema.get("description"):
            lines += ["// " + l for l in schema["description"].split("\n")]
        line = f"{name}{'' if name in required else '?'}: {ts_type(schema)},"
        if "default" in schema:
            d = schema["default"]
            line += f" // default: {d if isinstance(d, str) else json.dumps(d)}"
        lines.append(line)
    lines.append("}) => any;")
    return "\n".join(lines)


def tools_section(tools):
    body = "".join(tool_block(t["function"]) + "\n\n" for t in tools)
    return "# Tools\n\n## functions\n\nnamespace functions {\n\n" + body + "} // namespace functions"


def messages_of(record):
    """[(role/author, recipient, channel, constrain, content, terminator)] in harmony order."""
    meta = record.get("meta") or {}
    tools = record.get("tools") or []
    system = "You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06"
    if meta.get("date"):
        system += "\nCurrent date: " + meta["date"]
    system += "\n\nReasoning: " + meta.get("reasoning_effort", "medium")
    system += "\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message."
    if tools:
        system += "\nCalls to these tools must go to the commentary channel: 'functions'."
    out = [("system", None, None, False, system)]
    instructions = [m["content"] for m in record["messages"] if m["role"] in ("system", "developer")]
    dev = []
    if instructions:
        dev.append("# Instructions\n\n" + "\n\n".join(instructions))
    if tools:
        dev.append(tools_section(tools))
    if dev:
        out.append(("developer", None, None, False, "\n\n".join(dev)))
    convo = []
    for m in record["messages"]:
        role = m["role"]
        if role in ("system", "developer"):
            continue
        if role == "user":
            convo.append(("user", None, None, False, m["content"]))
        elif role == "tool":
            convo.append((f"functions.{m['name']}", "assistant", "commentary", False, m["content"]))
        else:
            if m.get("thinking"):
                convo.append(("assistant", None, "analysis", False, m["thinking"]))
            for call in m.get("tool_calls") or []:
                args = call["function"]["arguments"]
                if isinstance(args, str):
                    args = json.loads(args)
                text = json.dumps(args, ensure_ascii=False, separators=(",", ":"))
                convo.append(("assistant", "functions." + call["function"]["name"], "commentary", True, text))
            if m.get("content") and not m.get("tool_calls"):
                convo.append(("assistant", None, "final", False, m["content"]))
    finals = [i for i, c in enumerate(convo) if c[0] == "assistant" and c[2] == "final"]
    if convo and finals and finals[-1] == len(convo) - 1:
        first_final = finals[0]
        convo = [c for i, c in enumerate(convo) if not (i < first_final and c[0] == "assistant" and c[2] == "analysis")]
    return out, convo


def render_tokens(record, enc):
    head, convo = messages_of(record)
    ids, mask = [], []
    n = len(convo)

    def emit(author, recipient, channel, constrain, content, terminator, trained):
        start = len(ids)
        ids.append(START)
        ids.extend(enc.encode_ordinary(author + (f" to={recipient}" if recipient else "")))
        if channel:
            ids.append(CHANNEL)
            ids.extend(enc.encode_ordinary(channel + (" " if constrain else "")))
            if constrain:
                ids.append(CONSTRAIN)
                ids.extend(enc.encode_ordinary("json"))
        ids.append(MESSAGE)
        ids.extend(enc.encode_ordinary(content))
        ids.append(terminator)
        mask.extend([1 if trained else 0] * (len(ids) - start))

    for author, recipient, channel, constrain, content in head:
        emit(author, recipient, channel, constrain, content, END, False)
    for i, (author, recipient, channel, constrain, content) in enumerate(convo):
        assistant = author == "assistant"
        if assistant and recipient:
            term = CALL
        elif assistant and channel == "final" and i == n - 1:
            term = RETURN
        else:
            term = END
        emit(author, recipient, channel, constrain, content, term, assistant)
    if mask:
        mask[0] = 0
    return ids, mask
