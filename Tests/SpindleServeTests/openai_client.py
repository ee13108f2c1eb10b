"""The official `openai` client against `spindle serve`: one whole chat answer, the same request
streamed, a text completion with n=2 and a stop sequence, and an error. Prints one JSON object."""
import json
import sys

import openai

port, model = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0)
messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Tell me about bread."}]
whole = client.chat.completions.create(model=model, messages=messages, max_tokens=30, seed=5, temperature=0.7)
pieces, finish = [], None
for chunk in client.chat.completions.create(model=model, messages=messages, max_tokens=30, seed=5,
                                             temperature=0.7, stream=True):
    for c in chunk.choices:
        if c.delta.content:
            pieces.append(c.delta.content)
        finish = c.finish_reason or finish
text = client.completions.create(model=model, prompt="Coral reefs", max_tokens=12, n=2, seed=3)
try:
    client.chat.completions.create(model=model, messages=[{"role": "robot", "content": "x"}])
    error = None
except openai.BadRequestError as e:
    error = {"status": e.status_code, "message": e.message}
print(json.dumps({
    "models": [m.id for m in client.models.list().data],
    "whole": whole.choices[0].message.content, "whole_finish": whole.choices[0].finish_reason,
    "usage": whole.usage.model_dump(), "streamed": "".join(pieces), "stream_finish": finish,
    "texts": [c.text for c in text.choices], "error": error,
}))
