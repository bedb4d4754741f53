"""Make the labelled call records in this folder with real calls: `earpiece agent` registered at
Kamailio, baresip callers speaking Piper-voiced scripts, one call after another.

    .venv/bin/python -m tests.data.calls.make_records dev|test

Writes `records/<call>.json` (the agent's own records, unchanged) and `scripts.json` (what each
caller said, in order, with the labels a person gave each utterance: topic, whether the sample
knowledge base holds the answer, the caller's sentiment, the call's intent and how it ended).
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from tests.audio_gen import piper_speech
from tests.e2e.harness import AgentProcess, CallerScript, ScriptedCall
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for

HERE = Path(__file__).resolve().parent
USERS = {"agent": "agent-pw", "carol": "carol-pw"}

# (text, topic, answerable from the sample KB, sentiment: pos | neu | neg)
Line = tuple[str, str, bool, str]
# "dev" tuned the gap grouping's similarity threshold; "test" was recorded afterwards to measure it.
DEV: list[dict[str, Any]] = [
    {"intent": "delivery", "ends": "goodbye", "lines": [
        ("How much does delivery cost?", "delivery cost", True, "neu"),
        ("Is there parking near your showroom?", "parking", False, "neu"),
        ("Okay thank you, that's all.", "goodbye", True, "pos")]},
    {"intent": "returns and refunds", "ends": "caller hangs up", "lines": [
        ("My coffee machine broke after two days and I am really annoyed.", "complaint", False, "neg"),
        ("How long do I have to return a product for a full refund?", "refund window", True, "neu")]},
    {"intent": "other", "ends": "transfer", "lines": [
        ("Where can I park my car when I visit the showroom?", "parking", False, "neu"),
        ("Are you hiring at the moment?", "jobs", False, "neu"),
        ("I'd like to speak to a person, please.", "handover", True, "neu")]},
    {"intent": "opening hours and contact", "ends": "goodbye", "lines": [
        ("What are your opening hours on Saturday?", "opening hours", True, "neu"),
        ("Do you have any job vacancies?", "jobs", False, "neu"),
        ("Great, thanks a lot. Goodbye.", "goodbye", True, "pos")]},
    {"intent": "other", "ends": "caller hangs up", "lines": [
        ("Can I rent a coffee machine for a wedding?", "rental", False, "neu"),
        ("Is there a car park at the showroom?", "parking", False, "neu")]},
    {"intent": "warranty and repairs", "ends": "caller hangs up", "lines": [
        ("This is the third time my machine has stopped working, it is terrible.", "complaint", False, "neg"),
        ("How long is the warranty on the Barista One?", "warranty", True, "neu")]},
    {"intent": "other", "ends": "goodbye", "lines": [
        ("Do you hire out machines for events?", "rental", False, "neu"),
        ("How can I apply for a job with you?", "jobs", False, "neu"),
        ("No, that's all. Bye.", "goodbye", True, "neu")]},
    {"intent": "orders and payment", "ends": "caller hangs up", "lines": [
        ("I was charged twice for my order and I am not happy about it.", "double charge", False, "neg"),
        ("Is there somewhere to park at your Leicester showroom?", "parking", False, "neu")]},
    {"intent": "product information", "ends": "goodbye", "lines": [
        ("Could I borrow a machine for a one day event?", "rental", False, "neu"),
        ("How much does the Barista One cost?", "product price", True, "neu"),
        ("Perfect, thank you. Goodbye.", "goodbye", True, "pos")]},
    {"intent": "delivery", "ends": "caller hangs up", "lines": [
        ("Can I track my order?", "order tracking", True, "neu"),
        ("Wonderful, that is really helpful, thank you.", "thanks", True, "pos")]},
]
TEST: list[dict[str, Any]] = [
    {"intent": "other", "ends": "caller hangs up", "lines": [
        ("Where do I leave my car if I come to the showroom?", "parking", False, "neu"),
        ("Is the showroom accessible for wheelchair users?", "accessibility", False, "neu")]},
    {"intent": "other", "ends": "goodbye", "lines": [
        ("Do you have a shop in London?", "locations", False, "neu"),
        ("Are there any jobs going in your team?", "jobs", False, "neu"),
        ("Okay, thanks. Bye.", "goodbye", True, "neu")]},
    {"intent": "delivery", "ends": "caller hangs up", "lines": [
        ("Do you deliver outside the UK?", "delivery abroad", True, "neu"),
        ("I'm so frustrated, my parcel still hasn't arrived.", "complaint", False, "neg"),
        ("Can I hire a machine for a party?", "rental", False, "neu")]},
    {"intent": "other", "ends": "caller hangs up", "lines": [
        ("Is there step free access at your showroom?", "accessibility", False, "neu"),
        ("Is parking free near your building?", "parking", False, "neu")]},
    {"intent": "other", "ends": "caller hangs up", "lines": [
        ("Do you have stores in other cities?", "locations", False, "neu"),
        ("Can I work for you part time?", "jobs", False, "neu"),
        ("Thank you so much, you have been very helpful.", "thanks", True, "pos")]},
    {"intent": "product information", "ends": "caller hangs up", "lines": [
        ("How loud is the Barista One?", "product noise", True, "neu"),
        ("Can I lease a coffee machine for my office?", "rental", False, "neu")]},
]
SETS = {"dev": DEV, "test": TEST}


def main(name: str) -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the peers and the agent on the way out
    out = HERE / "records"
    out.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="earpiece-records-"))
    with Kamailio(users=USERS) as registrar, \
            Baresip("carol", USERS["carol"], registrar, auto_answer=True) as carol, \
            AgentProcess(registrar, "agent", USERS["agent"], work / "agent", transfer_to="carol") as agent:
        assert wait_for(lambda: "OK" in carol.command("reginfo")["data"], 10, 0.1), "carol did not register"
        scripts_file = HERE / "scripts.json"
        scripts = json.loads(scripts_file.read_text()) if scripts_file.exists() else []
        scripts = [s for s in scripts if s["set"] != name]
        for number, call in enumerate(SETS[name], start=1):
            lines: list[Line] = call["lines"]
            plan = CallerScript.build([piper_speech(text) for text, *_ in lines], lead_s=5.0, gap_s=13.0,
                                      tail_s=2.0)
            known = len(agent.records())
            with ScriptedCall(registrar, plan, f"caller{number}", work / f"call{number}") as scripted:
                scripted.dial(agent.uri)
                if call["ends"] == "transfer":
                    threading.Thread(target=_hang_up_later, args=(carol,), daemon=True).start()
                    agent.wait_records(known + 1, timeout=plan.duration_s + 30)
                elif call["ends"] == "goodbye":
                    agent.wait_records(known + 1, timeout=plan.duration_s + 30)
                else:
                    scripted.wait_script()
                    scripted.hang_up()
            record = agent.wait_records(known + 1)[-1]
            shutil.copy(agent.calls_dir / f"{record['call_id']}.json", out / f"{record['call_id']}.json")
            keys = ("text", "topic", "answerable", "sentiment")
            named = [dict(zip(keys, line, strict=True)) for line in lines]
            scripts.append({"call_id": record["call_id"], "set": name, "intent": call["intent"],
                            "ends": call["ends"], "lines": named})
            print(number, record["call_id"], record["outcome"], flush=True)
    scripts_file.write_text(json.dumps(scripts, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)


def _hang_up_later(carol: Baresip) -> None:
    carol.wait_event("CALL_ESTABLISHED", timeout=60)
    carol.command("hangup")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test")
