"""Pure pipeline stages: values in, values out, no I/O.

parse    raw bytes -> ParsedMessage            (bot.stages.parse.parse_message)
extract  ParsedMessage -> Letter               (bot.stages.extract.extract_letter)
classify Letter -> Classification              (bot.stages.classify.classify)
entities Letter -> Facts                       (bot.stages.entities.find_facts)
deadlines Facts + Classification -> Deadlines  (bot.stages.deadlines.compute_deadlines)
advise   ... -> list[NextStep]                 (bot.stages.advise.advise)
render   Triage -> text / HTML                 (bot.stages.render)
"""
