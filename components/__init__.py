"""Code that runs inside the Rasa server: the crisis safety net in the NLU pipeline,
the crisis-first dialogue policy, and the response generator that fills in the
clinic's facts."""
