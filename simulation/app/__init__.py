"""The classroom app: ``kopsim app [SCENARIO]`` serves a live page of a cooperative's social network.

Solara (the optional extra ``app``) is imported only when the app is served, never when this
package is imported, so the core install works without it.
"""
