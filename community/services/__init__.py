"""Community writes, by sub-domain: people (accounts, follows), notifications, activity (records,
interest profiles) and qa (questions, answers, votes, routing). Plain functions with keyword-only
arguments; transactions live here and side effects run ``on_commit``."""
