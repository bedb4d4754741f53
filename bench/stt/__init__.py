"""Speech-recognition benchmark: word error rate and latency of the offline recognisers on spoken
support questions, wideband and G.711 narrowband with noise."""
