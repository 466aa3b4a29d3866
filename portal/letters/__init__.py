"""The commitment letter (承诺书, 鲁医保发〔2022〕21号 附件; DOMAIN.md §9).

``text``: its verbatim legal wording; ``document``: the values printed on it and their rendering
(through ``portal.core.pdf``); ``codes``: the verification codes and the public URL that checks one;
``stored``: the letters issued, kept with their SHA-256 and served byte for byte.
"""
