from django import forms

from papertide.digests.models import Frequency, Ranking, Subscriber
from papertide.papers.feed_filter import FeedFilter, FilterError


class SubscribeForm(forms.Form):
    email = forms.EmailField(max_length=254)


class PreferencesForm(forms.ModelForm):
    categories = forms.CharField(
        required=False, help_text="arXiv categories, archives or groups separated by spaces or commas, as on the feeds: "
                                  "cs.CL cs.LG (either), cs (a whole archive), -hep-* (not these); empty for all",
    )
    keywords = forms.CharField(
        required=False, help_text="A paper must mention at least one of these words in its title or abstract; "
                                  "empty for any",
    )

    class Meta:
        model = Subscriber
        fields = ["frequency", "ranking", "categories", "with_code", "keywords", "min_score", "max_papers",
                  "send_empty"]
        labels = {
            "min_score": "Minimum upvotes",
            "max_papers": "Papers per digest",
            "send_empty": "When there is nothing new, send a short email saying why",
            "with_code": "Only papers with a code repository",
        }
        widgets = {"frequency": forms.RadioSelect(choices=Frequency.choices),
                   "ranking": forms.RadioSelect(choices=Ranking.choices)}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial["categories"] = " ".join(self.instance.categories)
        self.initial["keywords"] = ", ".join(self.instance.keywords)
        self.fields["max_papers"].widget.attrs.update(min=1, max=50)
        if self.instance.user_id is None:  # "for you" needs the papers an account saved and upvoted
            del self.fields["ranking"]

    def clean_categories(self) -> list[str]:
        try:
            chosen = FeedFilter.parse(self.cleaned_data["categories"])
        except FilterError as exc:
            raise forms.ValidationError(f"{exc}.") from None
        return chosen.terms.split(",") if chosen else []

    def clean_keywords(self) -> list[str]:
        return [k.strip() for k in self.cleaned_data["keywords"].split(",") if k.strip()][:50]

    def clean_max_papers(self) -> int:
        value = self.cleaned_data["max_papers"]
        if not 1 <= value <= 50:
            raise forms.ValidationError("Choose between 1 and 50 papers.")
        return value
