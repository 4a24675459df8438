package dev.glora.api;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What ARCHITECTURE.md states about the modules, checked on the compiled classes (issue 35). */
@Timeout(120)
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void load() {
        // the product's classes: neither these test classes nor the test jars other modules share
        classes =
                new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .withImportOption(location -> !location.contains("-tests.jar"))
                        .importPackages("dev.glora");
        for (String name :
                new String[] {
                    "dev.glora.supernet.glora.Supernet",
                    "dev.glora.worker.Worker",
                    "dev.glora.api.SearchApiApplication"
                }) {
            Assertions.assertTrue(classes.contain(name), "every module is checked: " + name);
        }
        Assertions.assertFalse(classes.contain("dev.glora.worker.TinyJob"), "no test class");
    }

    @Test
    void theSupernetLibraryKnowsNoDatabaseNoHttpAndNoServiceCode() {
        noClasses()
                .that()
                .resideInAPackage("dev.glora.supernet..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "java.sql..",
                        "javax.sql..",
                        "org.postgresql..",
                        "com.zaxxer..",
                        "org.springframework..",
                        "jakarta.servlet..",
                        "java.net.http..",
                        "com.sun.net.httpserver..",
                        "dev.glora.db..",
                        "dev.glora.queue..",
                        "dev.glora.jobs..",
                        "dev.glora.worker..",
                        "dev.glora.search..",
                        "dev.glora.cli..",
                        "dev.glora.api..")
                .because("supernet is a library with no database and no HTTP (ARCHITECTURE.md)")
                .check(classes);
    }

    @Test
    void theServiceNeverTrainsANetworkItself() {
        noClasses()
                .that()
                .resideInAPackage("dev.glora.api..")
                .should()
                .dependOnClassesThat()
                .haveFullyQualifiedName("dev.glora.supernet.train.Trainer")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("dev.glora.supernet.train.SupernetSetup")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("dev.glora.supernet.train.Retraining")
                .orShould()
                .dependOnClassesThat()
                .haveNameMatching("dev\\.glora\\.worker\\..*Training")
                .because("search-api hands training to workers (ARCHITECTURE.md)")
                .check(classes);
    }

    @Test
    void theWorkerModuleNeverReachesUpIntoTheService() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "dev.glora.db..",
                        "dev.glora.queue..",
                        "dev.glora.jobs..",
                        "dev.glora.worker..",
                        "dev.glora.search..",
                        "dev.glora.cli..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.glora.api..", "org.springframework..")
                .because("each module knows only the ones to its right (ARCHITECTURE.md)")
                .check(classes);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.glora.(*)..").should().beFreeOfCycles().check(classes);
    }
}
