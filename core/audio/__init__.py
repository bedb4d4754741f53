"""Audio frames and the stages that consume or produce them.

`frames` (the sip/core contract), `pcm` and `wav` (format conversions), `vad` (webrtcvad per
frame), `turns` (speech start/pause/end), `barge_in` (interrupting Earpiece's own speech) and
`playback` (pause/resume on top of an `AudioSink`).
"""
