"""The community API, by sub-domain: accounts, people (profiles, follows, activity),
notifications and qa. Thin views: validate, call a selector or service, respond."""
